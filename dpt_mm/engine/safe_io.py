"""Opt-in checkpoint guarantees: list this module in a config's
``custom_imports`` (every project config does).

Importing it, once per process (idempotent):

- makes MMEngine's ``LocalBackend.put`` / ``put_text`` write through a
  temporary file and a rename, so a killed save never leaves a truncated
  checkpoint under its real name;
- pickles ``HistoryBuffer`` without its built-in statistics and allow-lists
  the types of runner checkpoints, so ``--resume`` loads under torch's
  ``weights_only``;
- loads local checkpoints with :func:`dpt_mm.utils.io.read_checkpoint`, whose
  one-line ``CheckpointError`` names the file and the refused type.

Save-then-rotate order and exact resume come from the hooks the configs
name (``SafeCheckpointHook``, ``RandomStateHook``). ``import dpt_mm`` alone
changes none of this; ``DPT_MM_NO_PATCHES=1`` skips the two patches.
"""
from dpt_mm.utils.patches import check_and_apply
from dpt_mm.utils.safe_load import (register_checkpoint_loader,
                                    register_safe_globals)

check_and_apply()
register_safe_globals()
register_checkpoint_loader()
