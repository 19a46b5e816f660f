from .hooks import SaveAlphaHook

__all__ = ['SaveAlphaHook']
