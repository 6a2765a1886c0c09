"""AI over the learner's material: semantic search, answers with citations, usage quotas.

``retrieval`` finds the chunks a caller may see nearest a query; ``lectern.llm`` is the
answering port (a local extractive answerer, or Bedrock Converse); ``usage`` keeps the
monthly quota and the cost of each call; ``service`` ties them together for the ``ai``
function.
"""
