from .aspp import MGMattingASPP

__all__ = ['MGMattingASPP']
