from . import test_receive
from . import test_pick
from . import test_pack
from . import test_count
from . import test_screens
from . import test_access
from . import test_sms
