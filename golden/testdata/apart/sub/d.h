#error "does not compile on its own"
