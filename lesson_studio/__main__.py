import sys

from lesson_studio.cli import main

sys.exit(main())
