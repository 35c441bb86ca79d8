"""``python -m optuna_qnas``: the ``optuna-qnas`` command line."""

from optuna_qnas.cli import main


raise SystemExit(main())
