# pipeline rules (filled in as stages land)
