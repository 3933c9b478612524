// placeholder, replaced by the VM model
