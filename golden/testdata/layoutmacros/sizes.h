/*
 * Macros whose values take sizeof, _Alignof or offsetof of records that
 * cc/v4 lays out differently from gcc: packed, #pragma pack, bit-fields.
 */

/* 12 bytes on 64-bit targets, 8 on 32-bit ones; cc/v4 says 16 and 8. */
struct p {
	void *a;
	unsigned int n;
} __attribute__((packed));
#define S_P sizeof(struct p)
#define A_P _Alignof(struct p)
#define O_P offsetof(struct p, n)
#define IOC_P _IOC(_IOC_NONE, 'P', 0, sizeof(struct p))
#define IOW_P _IOW('P', 1, struct p)
#define S_P3 sizeof(struct p[3])
typedef struct p p_t;
#define S_PT (sizeof(p_t) * 2 - 1)
#define NEG_P (-(int)sizeof(struct p))
#define CPL_P (~sizeof(struct p))

#pragma pack(1)
struct q {
	char c;
	unsigned long long x;
	unsigned short s;
};
#pragma pack()
#define S_Q sizeof(struct q)
#define O_Q_X offsetof(struct q, x)
#define O_Q_S __builtin_offsetof(struct q, s)
#define IOW_Q _IOW('Q', 2, struct q)
#define SHR_Q (sizeof(struct q) >> 1)

struct r {
	char c;
	int x __attribute__((aligned(8)));
};
#define S_R sizeof(struct r)
#define A_R __alignof__(struct r)
#define O_R_X offsetof(struct r, x)
#define IOW_R _IOW('R', 3, struct r)

/* A bit-field after narrower ones. */
struct b {
	unsigned char a : 3;
	unsigned short b : 10;
	unsigned int c : 20;
	unsigned char d;
};
#define S_B sizeof(struct b)
#define O_B_D offsetof(struct b, d)
#define IOW_B _IOW('B', 4, struct b)

struct outer {
	char c;
	struct p in;
	struct {
		unsigned int z;
	};
} __attribute__((packed));
#define O_OUTER_N offsetof(struct outer, in.n)
#define O_OUTER_Z offsetof(struct outer, z)
#define MIX (sizeof(struct p) + sizeof(struct q) * 3 + sizeof(struct b) % 5 - offsetof(struct outer, z) / 2)

/* cc/v4 agrees on an unpacked record. */
struct ok {
	int a;
	int b;
};
#define IOW_OK _IOW('K', 5, struct ok)

/* A conditional: not evaluated again, so no value where cc/v4 is wrong. */
#define CMP_P (sizeof(struct p) > 12 ? 1 : 2)
