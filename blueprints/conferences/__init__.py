"""联席会议 (表32/表33) pages: conferences, member units, official documents, meetings."""
