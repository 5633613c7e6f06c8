/* Compiles after xen.h; defines struct shared as a.h does. */
struct shared {
    uint16_t v;
};

struct only_b {
    uint8_t c;
};
