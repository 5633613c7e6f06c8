/* Ioctl numbers in the asm-generic encoding: direction, size, type, number. */
#ifndef LAYOUTMACROS_IOCTL_H
#define LAYOUTMACROS_IOCTL_H
#define _IOC_NONE 0U
#define _IOC_WRITE 1U
#define _IOC(dir, type, nr, size) \
	(((dir) << 30) | ((size) << 16) | ((type) << 8) | ((nr) << 0))
#define _IOC_TYPECHECK(t) (sizeof(t))
#define _IOW(type, nr, t) _IOC(_IOC_WRITE, (type), (nr), (_IOC_TYPECHECK(t)))
#endif
