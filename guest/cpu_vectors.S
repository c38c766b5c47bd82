/*
 * cpu_vectors.S - entry stubs for CPU exceptions 0-31. Each pushes a
 * uniform frame (error code or 0, vector, pusha) and calls do_trap()
 * with a pointer to it (struct __regs in traps.h).
 */
.macro TRAP_NOERR vec
	.globl trap_\vec
trap_\vec:
	pushl $0
	pushl $\vec
	jmp trap_common
.endm

.macro TRAP_ERR vec
	.globl trap_\vec
trap_\vec:
	pushl $\vec                     /* the CPU already pushed an error code */
	jmp trap_common
.endm

	.section .text
	TRAP_NOERR 0
	TRAP_NOERR 1
	TRAP_NOERR 2
	TRAP_NOERR 3
	TRAP_NOERR 4
	TRAP_NOERR 5
	TRAP_NOERR 6
	TRAP_NOERR 7
	TRAP_ERR   8
	TRAP_NOERR 9
	TRAP_ERR   10
	TRAP_ERR   11
	TRAP_ERR   12
	TRAP_ERR   13
	TRAP_ERR   14
	TRAP_NOERR 15
	TRAP_NOERR 16
	TRAP_ERR   17
	TRAP_NOERR 18
	TRAP_NOERR 19
	TRAP_NOERR 20
	TRAP_ERR   21
	TRAP_NOERR 22
	TRAP_NOERR 23
	TRAP_NOERR 24
	TRAP_NOERR 25
	TRAP_NOERR 26
	TRAP_NOERR 27
	TRAP_NOERR 28
	TRAP_ERR   29
	TRAP_ERR   30
	TRAP_NOERR 31

	.type trap_common, @function
trap_common:
	pushal
	movl %esp, %eax
	pushl %eax                      /* struct __regs * */
	call do_trap
	addl $4, %esp
	popal
	addl $8, %esp                   /* vector + error code */
	iret
	.size trap_common, . - trap_common

	/*
	 * IRQ 0-15 (vectors 0x20-0x2f): acknowledge and return. A halted CPU
	 * wakes up on the interrupt and then looks at the device itself.
	 */
	.globl irq_ack
	.type irq_ack, @function
irq_ack:
	pushl %eax
	movb $0x20, %al                 /* non-specific EOI */
	outb %al, $0xa0                 /* slave (harmless for a master IRQ) */
	outb %al, $0x20                 /* master */
	popl %eax
	iret
	.size irq_ack, . - irq_ack

	.section .rodata
	.align 4
	.globl trap_vectors
trap_vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long trap_\n
	.endr
