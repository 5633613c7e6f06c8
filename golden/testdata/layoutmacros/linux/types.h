/* The few fixed-size types the UAPI dialect's built-in headers use. */
#ifndef LAYOUTMACROS_TYPES_H
#define LAYOUTMACROS_TYPES_H
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
#endif
