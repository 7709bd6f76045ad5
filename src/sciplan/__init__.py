"""sciplan: train and evaluate AI co-scientists with rubric rewards."""
__version__ = "0.1.0"
