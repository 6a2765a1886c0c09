"""Answers from passages: the ``Llm`` port, its adapters, and the factory picking one."""
