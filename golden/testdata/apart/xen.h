/* Stands for xen.h: comes first in every translation unit. */
struct base {
    uint32_t n;
};
