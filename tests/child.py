"""Where the tests start fresh interpreters (``python -c ...``): in tests/.

``python -c`` puts its working directory first on sys.path; from the checkout
root that would import the uncompiled source tree instead of the installed
fastact (the reason the README's test command uses --import-mode=importlib).
"""

import os

CWD = os.path.dirname(os.path.abspath(__file__))
