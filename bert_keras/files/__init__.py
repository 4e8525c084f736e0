"""Files and directories written whole, and the output directories bert-keras owns."""
