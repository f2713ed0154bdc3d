"""Networks: layers and model builder, activations and losses, optimizer steps, the fast step."""
