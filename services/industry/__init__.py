"""一业一评 and 一业一册 (seed 001 工作机制 总则; issue 21 item 4; docs/industry.md).

An industry is a 国民经济行业门类 (GB/T 4754 section letter A–T), the key 一业一单 already groups
the joint items by (``CheckItem.industry_code``).  ``evaluation`` aggregates one industry's
部门联合抽查 of one plan year in the user's area; ``handbook`` compiles the 合规经营指导手册
from the industry's published items, their 检查依据 and the common problems the evaluation found;
``documents`` renders both as PDFs.
"""
