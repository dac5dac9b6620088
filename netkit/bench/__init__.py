"""`netkit bench`: a closed-loop echo load generator and the comparison of netkit's listeners."""
