"""站内消息 (/messages): the message centre."""
