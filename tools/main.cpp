// The `ocellus` command.
#include <cstdio>

int main() { std::puts("ocellus"); return 0; }
