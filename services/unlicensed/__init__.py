"""无证无照经营综合治理 (DB5101 ch. 9, 表24; docs/unlicensed.md).

``access``: who sees and does what, the 表24 instance of a member unit; ``cycles``: the
office's notice, plans, 汇总 and scheme, each unit's plan, campaign and inspectors;
``operators``: each operator found and its branch; ``reports``: 上报查处结果, the office's
汇总 (A.6 columns, Excel), 情况通报 and 接收通报.  Services never commit.
"""
