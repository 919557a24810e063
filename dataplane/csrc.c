// The C dataplane as one translation unit: the compiler inlines across the
// protocol files. Every csrc/*.c must be listed (TestUnityListsEverySource).
#include "../csrc/worker.c"
#include "../csrc/gre.c"
#include "../csrc/vxlan.c"
#include "../csrc/l2tp.c"
#include "../csrc/icmp.c"
#include "../csrc/srv6.c"
#include "../csrc/l3.c"
#include "../csrc/table.c"
#include "../csrc/port.c"
#include "../csrc/esp.c"
#include "../csrc/crypto.c"
