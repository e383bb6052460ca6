from discover.cli import main

main()
