/* SPDX-License-Identifier: GPL-2.0 */
/*
 * start.S - the entry of luo-guest: a Multiboot (v1) header, so that
 * QEMU's -kernel loads the ELF as it is, and the few instructions that
 * give C a stack.  QEMU's loader enters in 32-bit protected mode with
 * flat segments and paging off: EAX holds the Multiboot magic, EBX the
 * address of the Multiboot information.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	movl	$stack_top, %esp
	pushl	%ebx
	pushl	%eax
	call	guest_main
1:	hlt
	jmp	1b

	.bss
	.balign 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
