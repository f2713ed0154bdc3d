"""Config sections: the shared base and one module per model kind's settings."""
