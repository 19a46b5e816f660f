# Copyright (c) dpt-mm contributors. All rights reserved.
"""Data conventions shared by transforms, models, metrics and tools."""
