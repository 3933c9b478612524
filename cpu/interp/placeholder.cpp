// placeholder, replaced by the interpreter
