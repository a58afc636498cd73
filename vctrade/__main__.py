from vctrade.cli import main

main()
