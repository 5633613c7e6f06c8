/*
 * Edge cases for reading layouts from compilers (see fixture_test.go).
 * Included after <stdint.h> and <stddef.h>, like the Xen headers.
 */

/* Bit-fields after narrower members, and one as wide as its type. */
struct bits {
    uint8_t  a;
    uint32_t b:3;
    uint32_t c:20;
    uint16_t d:9;
    uint64_t e:40;
    uint8_t  f:8;
};

/* #pragma pack(1): bit-fields straddle storage units. */
#pragma pack(push, 1)
struct packed {
    uint8_t  a;
    uint32_t b;
    uint16_t c:5;
    uint64_t d:33;
    uint8_t  e:8;
    uint16_t g;
};
#pragma pack(pop)

/* An over-aligned member. */
struct over_aligned {
    char c;
    int  x __attribute__((aligned(16)));
};

/* A flexible array member. */
struct flex {
    uint32_t n;
    uint64_t data[];
};

/* Anonymous and nested records. */
struct anon {
    int k;
    union {
        int   i;
        float f;
    };
    struct {
        short s1, s2;
    } named;
    struct {
        char    q;
        uint8_t bf:4;
    } arr[3];
    struct {
        union {
            uint16_t w;
            uint8_t  lo:8;
        };
        uint64_t  wide;
    };
};

typedef struct {
    int z;
} tdef_t;
