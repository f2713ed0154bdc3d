"""Training: learners, the Trainer thread, snapshots, the server's run cap, headless runs."""
