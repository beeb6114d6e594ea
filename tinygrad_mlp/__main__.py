"""``python -m tinygrad_mlp`` is the ``tinygrad-mlp`` command."""

from tinygrad_mlp.cli import main

raise SystemExit(main())
