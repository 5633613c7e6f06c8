/* Compiles after xen.h; clashes with b.h and c.h. */
struct shared {
    uint16_t v;
};

struct only_a {
    struct base b;
};
