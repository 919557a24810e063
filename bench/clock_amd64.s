#include "textflag.h"

// func imulChain(n uint64) uint64
// n iterations of 10 dependent 64-bit IMULs: 30*n core cycles on every
// x86-64 core since Intel Nehalem and AMD Zen (IMUL r64,r64 latency 3).
TEXT ·imulChain(SB), NOSPLIT, $0-16
	MOVQ n+0(FP), CX
	MOVQ $1, AX
	MOVQ $3, BX
loop:
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	IMULQ BX, AX
	DECQ CX
	JNZ loop
	MOVQ AX, ret+8(FP)
	RET
