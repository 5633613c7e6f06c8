/* Compiles after xen.h; defines struct shared unlike a.h. */
struct shared {
    uint64_t v;
};
