"""dl-grader: auto-graded deep-learning homework in PyTorch."""

__version__ = "0.1.0"
