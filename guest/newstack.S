/*
 * newstack.S - _libkvmplat_newstack(stack_top, fn, arg): continue
 * execution on another stack by calling fn(arg) there; never returns.
 */
	.section .text
	.globl _libkvmplat_newstack
	.type _libkvmplat_newstack, @function
_libkvmplat_newstack:
	movl 4(%esp), %eax              /* new stack top */
	movl 8(%esp), %ecx              /* fn */
	movl 12(%esp), %edx             /* arg */
	movl %eax, %esp
	xorl %ebp, %ebp                 /* fresh frame chain on the new stack */
	pushl %edx
	pushl $0                        /* fn must not return */
	jmp *%ecx
	.size _libkvmplat_newstack, . - _libkvmplat_newstack
