"""The process engine and the standard's 31 processes (DB5101 表3–表34) as data."""
