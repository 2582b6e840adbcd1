"""The sync engine: sources, change recording, and the claim/push/apply flush."""
