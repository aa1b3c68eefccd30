"""Printers: each renders an analysed Network in one format and shares nothing but the analysis."""
