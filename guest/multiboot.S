/*
 * multiboot.S - multiboot v1 header and the 32-bit entry point.
 * QEMU's -kernel loader enters in protected mode, paging off, with
 * EAX = 0x2BADB002 and EBX = the multiboot info structure.
 */
#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x00000003      /* page-align modules, want mem map */
#define BOOTSTACK_SIZE  16384

	.section .multiboot, "a"
	.align 4
	.long MULTIBOOT_MAGIC
	.long MULTIBOOT_FLAGS
	.long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

	.section .bss
	.align 16
	.globl _libkvmplat_bootstack
_libkvmplat_bootstack:
	.skip BOOTSTACK_SIZE
	.globl _libkvmplat_bootstack_top
_libkvmplat_bootstack_top:

	.section .text
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl $_libkvmplat_bootstack_top, %esp
	movl %eax, %esi                 /* keep the magic across rep stosb */

	/* zero .bss (the loader should, but do not rely on it) */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	xorl %ebp, %ebp                 /* end of the frame-pointer chain */
	pushl %ebx                      /* struct multiboot_info * */
	pushl %esi                      /* magic */
	call _libkvmplat_entry
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start
