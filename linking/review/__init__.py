"""Access review: a plan as normalised grants (``grants``), and two plans compared (``diff``).
"""
