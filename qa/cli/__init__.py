"""The `reviewqa` command line (Typer): a leaf that nothing else in `qa/` or `indexer/` imports.

- `app.py`: the main app and its commands (index, import-reviews, products, ask, train-reader, ...);
- `options.py`: the options every command shares, declared once in the root callback;
- `errors.py`: how every user mistake ends (one `Error:` line, exit 1);
- `nlp.py`, `retrieval.py`: `analyze`, `embed` and `train-retriever`;
- `plugins.py`: command groups of other packages (`reviewqa eval`) found through entry points.
"""

from qa.cli.app import app, main

__all__ = ["app", "main"]
