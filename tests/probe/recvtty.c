/* recvtty SOCKET: placeholder until the console test lands; replaced by the real program. */
int main(void) { return 1; }
