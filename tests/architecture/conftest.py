import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # house.py (importlib mode does not add test dirs)
