"""监管对象库: supervised-object libraries (DB5101 §6, 表3–表6)."""
