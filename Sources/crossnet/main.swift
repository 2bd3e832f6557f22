import Crossnet
print("crossnet")
