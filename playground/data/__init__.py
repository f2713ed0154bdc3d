"""Data: the 2-D toy sets, digits, CSV files, input features and expressions."""
